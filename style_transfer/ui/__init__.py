"""The web app (`style-transfer ui`): Gradio pages over the engine. Gradio is imported by app.py only."""
