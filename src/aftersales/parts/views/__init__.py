"""Pages of the parts area: the part master (``parts``) and a store's stock (``stock``)."""
