"""Storage: the port every backend implements, and the backends shipped in-tree."""
