// Name and version written into archives and reports.
export const TOOL_VERSION = '0.1.0';
export const TOOL_NAME = `mr4-studio ${TOOL_VERSION}`;
