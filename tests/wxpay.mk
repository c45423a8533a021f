# tests for wxpay
