// Placeholder: the RRF module is being written.
