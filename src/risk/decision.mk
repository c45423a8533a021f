# feature catalogue, rules, policy
