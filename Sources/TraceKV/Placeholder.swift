// Placeholder: the core is being written.
