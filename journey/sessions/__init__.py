"""The session loop: record whiteboard sessions and their commitments, revisit them in the
weekly report, and snooze acknowledged off-track flags.

Kept free of imports so that `journey.store.engine` can register `journey.sessions.tables`
without a cycle; import the submodules directly.
"""
