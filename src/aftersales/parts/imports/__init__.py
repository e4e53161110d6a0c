"""The go-live import of parts and stock (上线数据导入): the part master, opening stock per bin with its
cost (posted as receipts dated at the go-live date), and price lists, each from its Excel template
through the import pattern of ``aftersales.core.imports`` (template, dry run, an error report per row
and column, the valid rows or all or nothing)."""
