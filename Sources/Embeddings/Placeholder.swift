// Placeholder: the Embeddings module is being written.
