"""The review workspace: questionnaires in progress, their questions, matches and decisions."""
