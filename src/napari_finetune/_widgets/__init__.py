"""Qt / magicgui dock widgets: thin views over the Qt-free core."""
