Attribute VB_Name = "ActionPlanRibbon"
' The Action Plan tab's one macro: every button calls Dispatch and its tag names the Python
' handler (xl_addin.dispatch looks it up), so a new button never needs new VBA here.
' RunPython is in the add-in's "xlwings" module, from xlwings' ribbon add-in template.
' The module is not called "Dispatch": a module named like its macro makes the ribbon's
' onAction="Dispatch" ambiguous and Excel says it cannot run the macro.
Option Explicit

Sub Dispatch(control As IRibbonControl)
    RunPython "import xl_addin; xl_addin.dispatch('" & control.Tag & "')"
End Sub
