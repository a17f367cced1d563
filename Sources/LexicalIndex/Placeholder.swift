// Placeholder: the LexicalIndex module is being written.
