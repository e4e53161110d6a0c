"""The customers area's benchmarks; importing the package registers them.

- ``archive``: the generator of the customer archive (``bench generate --customers N --vehicles M``),
  with ``values``, what its rows look like;
- ``scenarios``: searching the archive, the detail customer's page and timeline;
- ``import_job``: the ``import`` job, the Excel import of a 100,000-row file.
"""

from bench.customers import archive, import_job, scenarios

__all__ = ["archive", "import_job", "scenarios"]
