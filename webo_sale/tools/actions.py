"""The window action of a wizard, for every button and public method that
opens one."""


def wizard_action(model, name, context=None, res_id=None, target="new"):
    """The action showing a form of ``model`` titled ``name``, in a dialog
    unless ``target`` says otherwise: a new wizard (``context`` gives its
    defaults) or ``res_id`` again at its next step. With its "views": the
    client's tabs call public methods directly, and the web client needs
    the views of an action that has not come back from a button (Odoo adds
    them to those)."""
    action = {
        "type": "ir.actions.act_window",
        "name": name,
        "res_model": model,
        "view_mode": "form",
        "views": [(False, "form")],
        "target": target,
    }
    if context:
        action["context"] = context
    if res_id:
        action["res_id"] = res_id
    return action
