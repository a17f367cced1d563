// Placeholder: the VectorIndex module is being written.
