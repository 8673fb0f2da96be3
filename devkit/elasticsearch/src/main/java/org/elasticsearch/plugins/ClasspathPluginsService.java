package org.elasticsearch.plugins;

import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.spi.SPIClassIterator;

import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A PluginsService whose plugins are plain classes on the JVM classpath instead of bundles under
 * $ES_HOME/modules. Lives in org.elasticsearch.plugins because LoadedPlugin / loadPlugin /
 * loadExtensions / createExtension are package-private (the same trick ES's own test framework uses
 * in MockPluginsService; we re-implement it to avoid depending on the junit-based test framework).
 */
public class ClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> loaded;

    public ClasspathPluginsService(Environment env, Collection<Class<? extends Plugin>> pluginClasses) {
        // Empty loader: nothing is read from modules/ or plugins/ directories.
        super(env.settings(), env.configDir(), new PluginsLoader(Set.of(), Set.of(), Map.of()));
        Settings settings = env.settings();
        List<LoadedPlugin> list = new ArrayList<>();
        for (Class<? extends Plugin> c : pluginClasses) {
            PluginDescriptor d = new PluginDescriptor(
                c.getName(), "classpath plugin", "NA", Build.current().version(),
                Integer.toString(Runtime.version().feature()), c.getName(), null, List.of(),
                false, false, false, false
            );
            list.add(new LoadedPlugin(d, loadPlugin(c, settings, env.configDir()), c.getClassLoader()));
        }
        loadExtensions(list);
        this.loaded = List.copyOf(list);
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return loaded;
    }

    @Override
    public PluginsAndModules info() {
        return new PluginsAndModules(loaded.stream().map(p -> new PluginRuntimeInfo(p.descriptor())).toList(), List.of());
    }

    /**
     * All plugins share one class loader, so the default per-plugin SPI scan would find every
     * META-INF/services entry (e.g. the server's FeatureSpecifications) once per plugin and create
     * duplicates. Scan once; hand each extension the plugin its constructor asks for (if any).
     */
    @Override
    public <T> List<? extends T> loadServiceProviders(Class<T> service) {
        Map<Class<?>, T> out = new LinkedHashMap<>();
        if (loaded.isEmpty()) return List.of();
        var it = SPIClassIterator.get(service, ClasspathPluginsService.class.getClassLoader());
        while (it.hasNext()) {
            Class<? extends T> ext = it.next();
            Plugin owner = loaded.get(0).instance();
            for (Constructor<?> ctor : ext.getConstructors()) {
                if (ctor.getParameterCount() == 1) {
                    for (LoadedPlugin p : loaded) {
                        if (ctor.getParameterTypes()[0] == p.instance().getClass()) owner = p.instance();
                    }
                }
            }
            out.putIfAbsent(ext, createExtension(ext, service, owner));
        }
        return List.copyOf(out.values());
    }
}
