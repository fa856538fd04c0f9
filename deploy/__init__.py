"""Deploying a pacticipant version on this machine, behind the broker's can-i-deploy gate.

``environments.toml`` (beside this file) says how each pacticipant runs in each environment;
``README.md`` explains it. The Invoke tasks in ``tasks/deployment.py`` parse options and call:

- ``deploy.gate``: ``deploy_through_gate``, ``undeploy_from``, ``stop_all``
- ``deploy.can_i_deploy``: the broker's verdict, from the ``pact`` CLI's JSON answer
- ``deploy.status``: what runs where, for ``invoke deploy-status``
- ``deploy.config`` (the description), ``deploy.rollout`` (start, switch, configure, remove),
  ``deploy.health`` (health checks), ``deploy.runtime`` (state, pid files, processes)
"""

from __future__ import annotations

# The library builds on the tasks' tiers, pact CLI and process helpers, and the ``tasks``
# package imports the library for its deploy tasks. Importing ``tasks`` first makes both
# orders work: ``import deploy.config`` alone would otherwise meet a half-imported module.
import tasks  # noqa: F401

__all__: list[str] = []
