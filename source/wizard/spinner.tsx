// A line of work in progress: the theme's spinner frame, then what is being done.
import {Text} from 'ink';
import {useEffect, useState} from 'react';
import {spinnerFrame} from '../ui/theme.js';

export function Spinner({label, clock = Date.now}: {label: string; clock?: () => number}) {
	const [now, setNow] = useState(clock);
	useEffect(() => {
		const timer = setInterval(() => setNow(clock()), 80);
		return () => clearInterval(timer);
	}, [clock]);
	return (
		<Text>
			<Text color="cyan">{spinnerFrame(now)}</Text> {label}
		</Text>
	);
}
