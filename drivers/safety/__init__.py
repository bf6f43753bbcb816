"""Safety inputs: residual current monitoring (RCD/RCM)."""
