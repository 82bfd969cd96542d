"""The base every stage shares: the mention and alert models, errors, settings types, time and Thai dates, YAML source, labels. Imports no stage."""
