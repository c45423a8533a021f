# sample configuration
