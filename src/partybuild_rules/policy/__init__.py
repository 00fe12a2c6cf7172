"""The policy language: strict YAML with positions, the policy documents, packs, formulas and editor schemas."""
