"""The rule playbook engine and the YAML playbook library.

Playbooks encode the coordination centre's doctrine (severity, tasks,
notifications, regulatory clocks) and act on incidents through the services.
"""
