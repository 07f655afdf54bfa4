"""The test oracle: expected mart values computed straight from the sandbox organisation, without SQL."""
