# Models: XGBoost JSON and WOE scorecards, TreeSHAP and Saabas
# contributions, the points scale.  Pure code; risk_model.h is the interface.
libldrisk_a_SOURCES += \
	%reldir%/risk_model.h %reldir%/risk_model_int.h %reldir%/risk_model.c \
	%reldir%/risk_json.c %reldir%/risk_json.h \
	%reldir%/risk_xgb.c %reldir%/risk_shap.c \
	%reldir%/risk_scorecard.c %reldir%/risk_scale.c
