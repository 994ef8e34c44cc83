"""A torch target that implements no operation: a run against it executes no test, which is an error."""

BACKEND = "torch"
