"""Excel in and Excel out: the input template, the workbook reader, the results workbook."""
