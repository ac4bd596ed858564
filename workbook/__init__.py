"""The plan model, plan-document import, and the master and board workbooks (openpyxl)."""
