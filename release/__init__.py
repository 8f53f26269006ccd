"""The release: publishing a checked build, the files it holds, loading it into a store for
querying, and the build pipeline that ends in it."""
