"""What only the book's build needs: the Sphinx extension, the web-asset staging, the Colab
notebook generator, the course facts and the student build. Not part of the ``memgen`` wheel;
nothing in ``memgen`` imports it. Its dependencies are in the ``book`` extra."""
