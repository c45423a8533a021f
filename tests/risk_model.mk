# tests for risk_model
