package org.elasticsearch.node;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

import java.util.Collection;

/**
 * A real org.elasticsearch.node.Node whose plugins come from the classpath. Must live in this package:
 * NodeConstruction, NodeServiceProvider and the Node(NodeConstruction) constructor are package-private
 * (ES's own test MockNode does the same). Nothing else about the node is mocked.
 */
public class ClasspathNode extends Node {
    public ClasspathNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
        super(NodeConstruction.prepareConstruction(env, null, new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment e, PluginsLoader ignored) {
                return new ClasspathPluginsService(e, plugins);
            }
        }, true));
    }
}
