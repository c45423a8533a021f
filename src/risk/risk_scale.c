/*
 * The points scale shared by scorecards and XGBoost breakdowns.
 *
 * score = offset - factor * ln(odds of bad), factor = pdo / ln 2,
 * offset = base_points - factor * ln(base_odds), base_odds being good:bad.
 * With the default 600 / 50 / 20, factor is 28.854 and offset 487.12: a
 * 2% probability of default scores 600 and every 20 points halve the odds
 * of default.
 */
#include "config.h"

#include <limits.h>
#include <math.h>

#include "risk_model.h"

/* Points are clamped here; a probability of 1e-15 is about 1480 points. */
#define RISK_SCALE_MAX_POINTS	9999

void
risk_scale_default(struct risk_scale *s)
{
	s->base_points = 600;
	s->base_odds = 50;
	s->pdo = 20;
}

double
risk_scale_score_of_margin(const struct risk_scale *s, double margin)
{
	double	 factor = s->pdo / M_LN2;

	return s->base_points - factor * log((double)s->base_odds) -
	    factor * margin;
}

/*
 * Rounds half away from zero; probabilities at or beyond 0 and 1 (and
 * NaN, treated as 1, the unsafe side) clamp to +-RISK_SCALE_MAX_POINTS.
 */
int
risk_scale_points(const struct risk_scale *s, double probability)
{
	double	 score;

	if (!(probability < 1))
		return -RISK_SCALE_MAX_POINTS;
	if (!(probability > 0))
		return RISK_SCALE_MAX_POINTS;
	score = risk_scale_score_of_margin(s,
	    log(probability) - log1p(-probability));
	if (score > RISK_SCALE_MAX_POINTS)
		return RISK_SCALE_MAX_POINTS;
	if (score < -RISK_SCALE_MAX_POINTS)
		return -RISK_SCALE_MAX_POINTS;
	return (int)lround(score);
}

double
risk_scale_points_of_margin(const struct risk_scale *s, double margin_delta)
{
	/* + 0.0 so that no contribution prints as "-0". */
	return -(s->pdo / M_LN2) * margin_delta + 0.0;
}

/*
 * Risk bands come from the scale: each is one PDO wide, so the odds of
 * default double from one band to the next, and they are anchored at the
 * scale's base points (base_odds good:bad).  On the default scale (600
 * points at 50:1, PDO 20), with the probability of default at each
 * cut-off (PD = 1 / (1 + odds)):
 *	A	>= base + 2 pdo	>= 640	PD below 0.50%	(good:bad 200:1)
 *	B	>= base + pdo	620-639	PD 0.50% - 0.99%
 *	C	>= base		600-619	PD 0.99% - 1.96%
 *	D	>= base - pdo	580-599	PD 1.96% - 3.85%
 *	E	>= base - 2 pdo	560-579	PD 3.85% - 7.41%
 *	F	>= base - 3 pdo	540-559	PD 7.41% - 13.79%
 *	G	>= base - 4 pdo	520-539	PD 13.79% - 24.24%
 *	H	below		< 520	PD above 24.24%	(worse than 3.125:1)
 * H, the worst, is where a lender declines: the policy never approves in
 * it automatically unless it says so (risk_policy.h, approve_worst_band).
 * A scale with pdo <= 0 is read as the default one.
 */
static void
usable_scale(const struct risk_scale *s, struct risk_scale *out)
{
	if (s == NULL || s->pdo <= 0 || s->base_odds <= 0)
		risk_scale_default(out);
	else
		*out = *s;
}

int
risk_scale_band_floor(const struct risk_scale *s, int band)
{
	struct risk_scale u;

	usable_scale(s, &u);
	if (band < 0)
		return INT_MAX;
	if (band >= RISK_BANDS - 1)
		return INT_MIN;
	return u.base_points + (2 - band) * u.pdo;
}

int
risk_scale_band_index(const struct risk_scale *s, int points)
{
	int i;

	for (i = 0; i < RISK_BANDS - 1; i++)
		if (points >= risk_scale_band_floor(s, i))
			return i;
	return RISK_BANDS - 1;
}

const char *
risk_scale_band_name(int band)
{
	static const char *const names[RISK_BANDS] = {
		"A", "B", "C", "D", "E", "F", "G", "H"
	};

	if (band < 0 || band >= RISK_BANDS)
		return "?";
	return names[band];
}

const char *
risk_scale_band(const struct risk_scale *s, int points)
{
	return risk_scale_band_name(risk_scale_band_index(s, points));
}
