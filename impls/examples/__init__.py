"""Example target modules used by the README and by the suite's own tests of `regverify check`."""
