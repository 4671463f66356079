"""The embedded core: values, enabling, versions and flags, user-specific versions."""
import pytest

from wizard.core import InvalidValues, MissingValues

V1 = """
id: flags
title: Flags
config:
  - {externalId: a, type: string, required: true}
  - {externalId: b, type: integer, default: 3}
"""


def publish(core, text, **kw):
    return core.publish(text, **kw)


def test_save_values_typed_and_unknown_rejected(core, user):
    publish(core, V1)
    inst = core.create_instance(user.id, "flags", "mine")
    with pytest.raises(InvalidValues) as exc:
        core.save_values(inst.id, config_values={"b": "seven"})
    assert "b" in exc.value.fields
    with pytest.raises(InvalidValues):
        core.save_values(inst.id, config_values={"nope": 1})
    data = core.save_values(inst.id, config_values={"a": "x", "b": 7.0})
    assert data.config_values == {"a": "x", "b": 7}


def test_enable_with_missing_values_names_them(core, user):
    publish(core, V1)
    inst = core.create_instance(user.id, "flags")
    with pytest.raises(MissingValues) as exc:
        core.set_enabled(inst.id, True, error_on_missing=True)
    assert exc.value.missing == ["a"]
    assert core.set_enabled(inst.id, True, error_on_missing=False).enabled


def test_flags_and_silent_upgrade(core, user):
    publish(core, V1)
    inst = core.create_instance(user.id, "flags", config_values={"a": "x"})
    # an optional slot: upgrade needs no input -> applied on publish
    publish(core, V1 + "  - {externalId: c, type: boolean}\n")
    assert core.get_instance(inst.id).version == 2
    # a visible required slot without default -> user input
    publish(core, V1 + "  - {externalId: d, type: string, required: true}\n")
    f = core.get_instance(inst.id).flags
    assert f.hasNewerVersion and f.requiresUserInputToUpdateVersion and not f.requiresSystemInputToUpdateVersion
    with pytest.raises(MissingValues):
        core.upgrade(inst.id)
    up = core.upgrade(inst.id, config_values={"d": "yes"})
    assert up.version == 3 and not up.flags.hasNewerVersion


def test_user_specific_version_only_changes_its_instance(core, user, fred):
    publish(core, V1)
    mine = core.create_instance(user.id, "flags", config_values={"a": "x"})
    other = core.create_instance(fred.id, "flags", config_values={"a": "y"})
    publish(core, V1 + "  - {externalId: h, type: string, hidden: true, required: true}\n", for_instance_id=mine.id)
    assert core.get_instance(mine.id).flags.requiresSystemInputToUpdateVersion
    assert not core.get_instance(other.id).flags.hasNewerVersion


def test_deleting_an_instance_removes_its_progress_and_specific_versions(core, user):
    from wizard.extensions import db
    from wizard.models import SolutionVersion, WizardProgress

    publish(core, V1)
    inst = core.create_instance(user.id, "flags")
    publish(core, V1 + "  - {externalId: z, type: string}\n", for_instance_id=inst.id)
    db.session.add(WizardProgress(instance_id=inst.id, data={"x": 1}))
    db.session.commit()
    core.delete_instance(inst.id)
    assert db.session.get(WizardProgress, inst.id) is None
    assert db.session.query(SolutionVersion).filter_by(for_instance_id=inst.id).count() == 0
