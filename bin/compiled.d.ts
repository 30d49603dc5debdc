// The declarations of bin/compiled.js (plain JavaScript: it runs before any TypeScript loader).
/** The package root (the folder of package.json). */
export declare const ROOT: URL;
/** Where the build writes the compiled JavaScript and its .d.ts files. */
export declare const DIST: URL;
/** The build's stamp: the sources it compiled, with the time the build started as its mtime. */
export declare const STAMP: URL;
/** The build's inputs, as paths from the root, sorted. */
export declare function sourceFiles(root?: URL): string[];
/** Whether dist/ holds a build of the sources as they are now. */
export declare function buildIsFresh(root?: URL): boolean;
