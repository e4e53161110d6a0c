"""Every read of the parts area."""
