// Public API of the versioning area (issue 3). Filled in by the version-schemes work.
export {};
