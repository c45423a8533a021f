# tests for console
