"""Rules engines that run a compiled program; each engine is one module and the only importer of its library."""
