"""regverify's conformance suite: the properties every target must satisfy, shipped with the package.

Run it with ``regverify check TARGET`` or ``python -m pytest --pyargs regverify.conformance --impl
TARGET`` from any directory. Its plugin (plugin.py) is loaded by conftest.py beside this file, so
it acts only on this suite.
"""
