// A segmented control: a labelled group of radio buttons (arrow keys move between options).
import { useId } from 'react';

export interface Option<T extends string> {
  value: T;
  label: string;
}

interface OptionGroupProps<T extends string> {
  legend: string;
  options: readonly Option<T>[];
  value: T;
  onChange: (value: T) => void;
}

export function OptionGroup<T extends string>({ legend, options, value, onChange }: OptionGroupProps<T>) {
  const name = useId();
  return (
    <fieldset className="option-group">
      <legend className="option-group__legend">{legend}</legend>
      <div className="option-group__options">
        {options.map((option) => (
          <label key={option.value} className="option-group__option">
            <input
              className="visually-hidden"
              type="radio"
              name={name}
              value={option.value}
              checked={option.value === value}
              onChange={() => onChange(option.value)}
            />
            <span className="option-group__label">{option.label}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
