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
 * Bands on the default scale, with the probability of default at each
 * cut-off (odds halve every 20 points):
 *	A	>= 640	PD below 0.50%	(good:bad 200:1 and better)
 *	B	620-639	PD 0.50% - 0.99%
 *	C	600-619	PD 0.99% - 1.96%
 *	D	570-599	PD 1.96% - 5.35%
 *	E	< 570	PD above 5.35%
 * They are points, not probabilities, so a card on another scale gets
 * bands on its own points.
 */
const char *
risk_scale_band(int points)
{
	if (points >= 640)
		return "A";
	if (points >= 620)
		return "B";
	if (points >= 600)
		return "C";
	if (points >= 570)
		return "D";
	return "E";
}
