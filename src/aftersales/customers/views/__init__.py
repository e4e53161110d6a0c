"""Pages of the customer archive, one module per feature; ``customers/urls.py`` routes to them."""
