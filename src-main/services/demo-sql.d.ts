// Vite's ?raw imports: the file's text as a string, inlined into the built bundle.
declare module '*.sql?raw' {
  const text: string;
  export default text;
}
