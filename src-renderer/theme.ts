// PrimeVue's Aura preset, adjusted for contrast (an axe-core check runs on every screen): a primary colour
// dark enough for white text (Aura's emerald-500 gives 2.5:1; blue-700 gives 6.7:1), solid status
// buttons one step darker, outlined/text status buttons and message texts at the -700/-800 shades, and
// a muted text that stays above 4.5:1 on the tinted panels. Light and dark follow the OS.
import { definePreset } from '@primeuix/themes';
import Aura from '@primeuix/themes/aura';

const solid = (c: string) => ({
  background: `{${c}.700}`,
  hoverBackground: `{${c}.800}`,
  activeBackground: `{${c}.900}`,
  borderColor: `{${c}.700}`,
  hoverBorderColor: `{${c}.800}`,
  activeBorderColor: `{${c}.900}`,
  color: '#ffffff',
  hoverColor: '#ffffff',
  activeColor: '#ffffff',
  focusRing: { color: `{${c}.700}`, shadow: 'none' },
});
const message = (c: string) => ({
  color: `{${c}.800}`,
  outlined: { color: `{${c}.800}`, borderColor: `{${c}.700}` },
  simple: { color: `{${c}.800}` },
});
const toast = (c: string) => ({
  background: `{${c}.50}`,
  color: `{${c}.800}`,
  closeButton: { focusRing: { color: `{${c}.800}`, shadow: 'none' } },
});
// Dark: Aura's -500 text on the tinted panel (e.g. #ef4444 on #3a1f22, 3.98:1) is too faint; -300 passes.
const darkMessage = (c: string) => ({
  color: `{${c}.300}`,
  outlined: { color: `{${c}.300}`, borderColor: `{${c}.400}` },
  simple: { color: `{${c}.300}` },
});

export const Mr4Preset = definePreset(Aura, {
  semantic: {
    // Focus rings 2 px wide (Aura's are 1 px: too faint to follow by keyboard).
    focusRing: { width: '2px', style: 'solid', color: '{primary.color}', offset: '2px', shadow: 'none' },
    primary: {
      50: '{blue.50}',
      100: '{blue.100}',
      200: '{blue.200}',
      300: '{blue.300}',
      400: '{blue.400}',
      500: '{blue.500}',
      600: '{blue.600}',
      700: '{blue.700}',
      800: '{blue.800}',
      900: '{blue.900}',
      950: '{blue.950}',
    },
    colorScheme: {
      light: {
        primary: { color: '{blue.700}', contrastColor: '#ffffff', hoverColor: '{blue.800}', activeColor: '{blue.900}' },
        highlight: { background: '{blue.50}', focusBackground: '{blue.100}', color: '{blue.800}', focusColor: '{blue.900}' },
        text: { mutedColor: '#56657a', hoverMutedColor: '{surface.700}' },
      },
      dark: {
        primary: { color: '{blue.300}', contrastColor: '{zinc.950}', hoverColor: '{blue.200}', activeColor: '{blue.100}' },
        highlight: {
          background: 'color-mix(in srgb, {blue.400}, transparent 84%)',
          focusBackground: 'color-mix(in srgb, {blue.400}, transparent 76%)',
          color: 'rgba(255,255,255,.92)',
          focusColor: 'rgba(255,255,255,.92)',
        },
      },
    },
  },
  components: {
    button: {
      colorScheme: {
        light: {
          root: { danger: solid('red'), success: solid('green'), warn: solid('orange'), info: solid('sky'), help: solid('purple') },
          outlined: {
            danger: { color: '{red.700}', borderColor: '{red.300}' },
            success: { color: '{green.700}', borderColor: '{green.300}' },
            warn: { color: '{orange.700}', borderColor: '{orange.300}' },
            info: { color: '{sky.700}', borderColor: '{sky.300}' },
            secondary: { color: '{surface.600}', borderColor: '{surface.300}' },
          },
          text: {
            danger: { color: '{red.700}' },
            success: { color: '{green.700}' },
            warn: { color: '{orange.700}' },
            info: { color: '{sky.700}' },
            secondary: { color: '{surface.600}' },
          },
        },
      },
    },
    // A checked radio is a filled disc with a small dot (Aura's large dot in the contrast colour made it look
    // hollow, and in dark mode like an unchecked one); an unchecked radio is an empty ring with a visible border.
    radiobutton: {
      icon: { size: '0.45rem', sm: { size: '0.35rem' }, lg: { size: '0.6rem' } },
      colorScheme: {
        light: { root: { borderColor: '{surface.500}' } },
        dark: { root: { background: 'transparent', borderColor: '{surface.400}', hoverBorderColor: '{surface.300}' } },
      },
    },
    // Aura's unpressed toggle text (surface.500 on surface.100) is 4.3:1; one shade darker passes.
    togglebutton: {
      colorScheme: {
        light: {
          root: { color: '{surface.600}', hoverColor: '{surface.800}' },
          icon: { color: '{surface.600}', hoverColor: '{surface.800}' },
        },
      },
    },
    // Aura's toast summary (-600 on a nearly transparent -50, 3:1, less over a dialog's mask) is too
    // faint: the -800 shade on an opaque -50 in light; the -300 shade in dark.
    toast: {
      colorScheme: {
        light: { info: toast('blue'), success: toast('green'), warn: toast('yellow'), error: toast('red') },
        dark: {
          info: { color: '{blue.300}' },
          success: { color: '{green.300}' },
          warn: { color: '{yellow.300}' },
          error: { color: '{red.300}' },
        },
      },
    },
    message: {
      colorScheme: {
        light: {
          info: message('blue'),
          success: message('green'),
          warn: message('yellow'),
          error: message('red'),
          secondary: { color: '{surface.700}' },
        },
        dark: { info: darkMessage('blue'), success: darkMessage('green'), warn: darkMessage('yellow'), error: darkMessage('red') },
      },
    },
  },
});
