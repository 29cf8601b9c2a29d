// Types of build-panel.mjs, for the TypeScript that imports it (the panel benchmark).
export declare function panelIsBuilt(): boolean;
export declare function buildPanel(): void;
