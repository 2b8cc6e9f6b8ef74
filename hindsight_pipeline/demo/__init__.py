"""The embedded demo: demo CRM data, a local Hindsight server, the main job, a summary."""
