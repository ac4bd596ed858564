"""The xlwings Excel add-in: ribbon handlers over the same core as the CLI.

The only package allowed to import xlwings.
"""
