"""The per-tool builders of the synthetic organisation (`pipelines.sandbox.generator` runs them in order):
`organisation` (people, incident plans), `incidentio`, `pagerduty`, `slack`, `zoom`; `common` holds the
size table and the build context they share."""
