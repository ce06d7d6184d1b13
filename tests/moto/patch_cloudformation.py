"""What CloudFormation does that moto 5.2.5 does not, for `baken adopt`.

- A stack update that changes only DeletionPolicy, UpdateReplacePolicy or Metadata: AWS records
  the new template and touches no resource. moto re-creates every resource from the new template
  and fails on the first Fn::GetAtt ("references undefined resource"), for UpdateStack and change
  sets alike; here such an update swaps the template and leaves the resources as they are.
- ListImports: missing in moto. AWS lists the stacks whose template imports the export, and
  answers a ValidationError when none does.
- DeleteChangeSet of a change set that does not exist: AWS answers ChangeSetNotFound.
"""
from moto.cloudformation import models, parsing, responses
from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.core.responses import ActionResult

POLICY_KEYS = ("DeletionPolicy", "UpdateReplacePolicy", "Metadata")


def _without_policies(resource):
    return {k: v for k, v in resource.items() if k not in POLICY_KEYS}


_update = parsing.ResourceMap.update


def _update_policies_only(self, template, parameters=None):
    old = self._resource_json_map
    new = template.get("Resources", {})
    same = old.keys() == new.keys() and all(
        _without_policies(old[k]) == _without_policies(new[k]) for k in old
    )
    if not same:
        return _update(self, template, parameters)
    self._template = template
    self._resource_json_map = new
    if parameters:
        self.input_parameters = parameters


parsing.ResourceMap.update = _update_policies_only


def _imports_of(template, name):
    if isinstance(template, dict):
        if template.get("Fn::ImportValue") == name:
            return True
        return any(_imports_of(v, name) for v in template.values())
    if isinstance(template, list):
        return any(_imports_of(v, name) for v in template)
    return False


def list_imports(self):
    name = self._get_param("ExportName")
    stacks = [
        s.name
        for s in self.cloudformation_backend.stacks.values()
        if _imports_of(s.template_dict, name)
    ]
    if not stacks:
        raise ValidationError(message=f"Export '{name}' is not imported by any stack.")
    return ActionResult({"Imports": stacks})


responses.CloudFormationResponse.list_imports = list_imports


class ChangeSetNotFound(CloudFormationError):
    code = "ChangeSetNotFound"


def _delete_change_set(self, change_set_name, stack_name=None):
    """DeleteChangeSet of a change set that is not there: AWS answers ChangeSetNotFound, moto
    raises a KeyError (a 500)."""
    known = change_set_name in self.change_sets or any(
        cs.change_set_name == change_set_name for cs in self.change_sets.values()
    )
    if not known:
        raise ChangeSetNotFound(f"ChangeSet [{change_set_name}] does not exist")
    return _delete(self, change_set_name)


_delete = models.CloudFormationBackend.delete_change_set
models.CloudFormationBackend.delete_change_set = _delete_change_set
