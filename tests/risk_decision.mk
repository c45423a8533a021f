# tests for risk_decision
