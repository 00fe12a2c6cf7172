"""An example policy pack package: its pack.yaml and rule files are this package's data."""
